# cmake -DIN=docs/CONFIG.md -DHEADING="## A complete file" -DLANG=toml
#       -DOUT=build/packaging/config.toml -P config_example.cmake
# Writes the first ```LANG block after the line HEADING of IN to OUT: the
# example configuration files installed with the documentation are the
# complete files of docs/CONFIG.md, written once there.
file(READ "${IN}" text)
string(FIND "${text}" "\n${HEADING}\n" at)
if(at LESS 0)
  message(FATAL_ERROR "${IN}: no heading \"${HEADING}\"")
endif()
string(SUBSTRING "${text}" ${at} -1 text)
string(FIND "${text}" "\n```${LANG}\n" at)
if(at LESS 0)
  message(FATAL_ERROR "${IN}: no ```${LANG} block after \"${HEADING}\"")
endif()
string(LENGTH "\n```${LANG}\n" skip)
math(EXPR at "${at} + ${skip}")
string(SUBSTRING "${text}" ${at} -1 text)
string(FIND "${text}" "\n```" end)
if(end LESS 0)
  message(FATAL_ERROR "${IN}: the ```${LANG} block after \"${HEADING}\" never ends")
endif()
math(EXPR end "${end} + 1")
string(SUBSTRING "${text}" 0 ${end} text)
file(WRITE "${OUT}" "${text}")
