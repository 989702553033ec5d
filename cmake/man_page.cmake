# cmake -DIN=docs/X.1 -DOUT=build/man/X.1 -DVERSION=V -P man_page.cmake
# The man page as installed: its .TH line names the version of
# project(VERSION), whatever the page in docs/ says (a ctest keeps that
# one in step too: docs.versions).
file(READ "${IN}" page)
string(REGEX REPLACE "(\n\\.TH [^\n]*\"patience )[0-9][^\"]*\"" "\\1${VERSION}\"" page "${page}")
file(WRITE "${OUT}" "${page}")
