# twinsim_install_library(<target>)
# Installs a module's static library into the exported package (twinsim::<export name>) and its
# public headers (the module's include/ folder), so a module adds itself to the install where
# it is defined; cmake/TwinsimInstall.cmake writes the package around whatever registered.
function(twinsim_install_library target)
  install(TARGETS ${target} EXPORT twinsimTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp")
endfunction()
