# cmake -DSRC=source-dir -DVERSION=V -P check_versions.cmake
# Fails when a man page in docs/ names a version other than project(VERSION)
# on its .TH line or in an example of what the programs print.
file(GLOB man3 RELATIVE "${SRC}/docs" "${SRC}/docs/man3/*.3")
foreach(page patience.1 patience-daemon.1 rpr.1 ${man3})
  file(STRINGS "${SRC}/docs/${page}" lines REGEX "(^\\.TH .*\"patience [0-9]|patience\\\\-daemon [0-9]+\\.[0-9])")
  foreach(line IN LISTS lines)
    string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" v "${line}")
    if(NOT v STREQUAL VERSION)
      message(SEND_ERROR "docs/${page}: \"${line}\" names ${v}, not ${VERSION} (project(VERSION) in CMakeLists.txt)")
    endif()
  endforeach()
endforeach()

# Fails too when the newest entry of debian/changelog packages another
# version: "patience (VERSION) ...", where a package-only change may add
# +SUFFIX, ~SUFFIX or -REVISION to VERSION.
if(EXISTS "${SRC}/debian/changelog")
  file(STRINGS "${SRC}/debian/changelog" first LIMIT_COUNT 1)
  if(NOT first MATCHES "^patience \\(([^)]+)\\) ")
    message(SEND_ERROR "debian/changelog: \"${first}\" is not \"patience (VERSION) ...\"")
  else()
    set(packaged "${CMAKE_MATCH_1}")
    string(REGEX REPLACE "[-+~].*" "" v "${packaged}")
    if(NOT v STREQUAL VERSION)
      message(SEND_ERROR "debian/changelog: its newest entry is ${packaged}, not ${VERSION} (project(VERSION) in CMakeLists.txt): add an entry (dch -v ${VERSION})")
    endif()
  endif()
endif()
