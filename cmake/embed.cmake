# Writes the file IN as a C string, pt_redis_script, to OUT: the daemon
# carries its Lua scheduler without reading files at run time.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN} by cmake/embed.cmake. */\n"
     "extern const char pt_redis_script[];\n"
     "const char pt_redis_script[] = {${bytes} 0x00};\n")
