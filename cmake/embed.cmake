# Writes the file IN as a C string named NAME to OUT: the daemon carries its
# Lua scheduler and its dashboard page without reading files at run time.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN} by cmake/embed.cmake. */\n"
     "extern const char ${NAME}[];\n"
     "const char ${NAME}[] = {${bytes} 0x00};\n")
