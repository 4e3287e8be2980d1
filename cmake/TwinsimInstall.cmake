# Installs the libraries, headers and the twinsim program, and exports the targets so that
# another project can `find_package(twinsim)` and link twinsim::core, twinsim::io, twinsim::loop,
# the solvers (twinsim::md, twinsim::lbm, twinsim::spectral, twinsim::heat) and
# twinsim::surrogates.
include(CMakePackageConfigHelpers)

install(TARGETS twinsim_core twinsim_io twinsim_loop twinsim_md twinsim_lbm twinsim_spectral
                twinsim_heat twinsim_surrogates twinsim
        EXPORT twinsimTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY core/include/ io/include/ loop/include/ solvers/md/include/ solvers/lbm/include/
                  solvers/spectral/include/ solvers/heat/include/ surrogates/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/core/include/twinsim/core/config.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/twinsim/core)

set(TWINSIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/twinsim)
install(EXPORT twinsimTargets NAMESPACE twinsim:: DESTINATION ${TWINSIM_CMAKE_DIR})
configure_package_config_file(cmake/twinsimConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/twinsimConfig.cmake
                              INSTALL_DESTINATION ${TWINSIM_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/twinsimConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/twinsimConfig.cmake
              ${PROJECT_BINARY_DIR}/twinsimConfigVersion.cmake
        DESTINATION ${TWINSIM_CMAKE_DIR})
