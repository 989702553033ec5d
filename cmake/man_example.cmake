# cmake -DIN=docs/man3/X.3 -DOUT=build/man3_examples/X.c -P man_example.cmake
# The program of a man page's EXAMPLE (its first .EX ... .EE), as C: the
# roff escapes it may use (\e \- \(dq \&) turned back into what they print.
file(READ "${IN}" page)
string(FIND "${page}" "\n.EX\n" start)
string(FIND "${page}" "\n.EE\n" end)
if(start LESS 0 OR end LESS start)
  message(FATAL_ERROR "${IN}: no .EX ... .EE example")
endif()
math(EXPR start "${start} + 5")
math(EXPR len "${end} - ${start} + 1")
string(SUBSTRING "${page}" ${start} ${len} code)
string(REPLACE "\\e" "\\" code "${code}")
string(REPLACE "\\-" "-" code "${code}")
string(REPLACE "\\(dq" "\"" code "${code}")
string(REPLACE "\\&" "" code "${code}")
file(WRITE "${OUT}" "${code}")
