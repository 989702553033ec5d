# cmake -DIN=packaging/X.service -DOUT=build/packaging/X.service -DBINDIR=/usr/bin
#       -DVERSION=V -DNOTIFY=ON|OFF -P unit_file.cmake
# A systemd unit as installed: its ExecStart runs BINDIR/patience-daemon
# (the file in packaging/ names where a hand install puts it), Type=notify
# becomes Type=simple for a daemon built without libsystemd (NOTIFY off:
# it would never say READY=1), and the comments at its top, which tell how
# to copy it into place by hand, give way to a line that says where it
# came from.
file(READ "${IN}" unit)
string(FIND "${unit}" "\n[Unit]" at)
if(at LESS 0)
  message(FATAL_ERROR "${IN}: no [Unit] section")
endif()
math(EXPR at "${at} + 1")
string(SUBSTRING "${unit}" ${at} -1 unit)
string(REGEX MATCHALL "\nExecStart=[^\n ]*/patience-daemon[ \n]" starts "\n${unit}")
list(LENGTH starts n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "${IN}: expected one ExecStart= line running patience-daemon, found ${n}")
endif()
string(REGEX REPLACE "\nExecStart=[^\n ]*/patience-daemon([ \n])" "\nExecStart=${BINDIR}/patience-daemon\\1"
       unit "${unit}")
if(NOT NOTIFY)
  string(REPLACE "\nType=notify\n" "\nType=simple\n" unit "${unit}")
endif()
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}" "# Installed by patience ${VERSION} from packaging/${name}; see patience-daemon(1), SYSTEMD.\n"
     "# Change it with a drop-in (systemctl edit), not here.\n${unit}")
