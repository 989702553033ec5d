# Writes libpatience.pc when it is installed, so that it names the prefix
# installed to (cmake --install build --prefix P), not the one configured.
# Set by the caller: IN, OUT, LIBDIR, INCLUDEDIR (as GNUInstallDirs has
# them: relative to the prefix, or absolute), VERSION.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${${dir}}")
    set(PC_${dir} "${${dir}}")
  else()
    set(PC_${dir} "\${prefix}/${${dir}}")
  endif()
endforeach()
set(PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
configure_file("${IN}" "${OUT}" @ONLY)
