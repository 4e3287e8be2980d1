# twinsim_dual_backend_library(<name> SOURCES a.inl b.inl ... [INCLUDE dir] [LINK targets...])
#
# Compiles each backend translation unit (*.inl) twice: with the C++ compiler into the OpenMP
# backend (namespace twinsim::omp, Thrust device system OMP) and, when CUDA is enabled, with
# nvcc into the CUDA backend (namespace twinsim::cuda). Both land in one static library <name>.
# INCLUDE is the module's public include folder (used by both copies and by consumers).
# Wrapper files in the build tree give each copy its own language, so no source file is ever
# compiled by nvcc with OpenMP flags or by g++ as CUDA.
function(twinsim_dual_backend_library name)
  cmake_parse_arguments(ARG "" "INCLUDE" "SOURCES;LINK" ${ARGN})
  set(omp_sources)
  set(cuda_sources)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    get_filename_component(stem "${src}" NAME_WE)
    set(omp_wrapper "${CMAKE_CURRENT_BINARY_DIR}/${name}_backends/omp/${stem}.cpp")
    file(CONFIGURE OUTPUT "${omp_wrapper}" CONTENT "#include \"${abs}\"\n" @ONLY)
    list(APPEND omp_sources "${omp_wrapper}")
    if(TWINSIM_ENABLE_CUDA)
      set(cuda_wrapper "${CMAKE_CURRENT_BINARY_DIR}/${name}_backends/cuda/${stem}.cu")
      file(CONFIGURE OUTPUT "${cuda_wrapper}" CONTENT "#include \"${abs}\"\n" @ONLY)
      list(APPEND cuda_sources "${cuda_wrapper}")
    endif()
  endforeach()

  add_library(${name}_omp OBJECT ${omp_sources})
  target_compile_definitions(${name}_omp PRIVATE TWINSIM_BACKEND_NS=omp
                             THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_OMP)
  target_link_libraries(${name}_omp PRIVATE ${ARG_LINK} OpenMP::OpenMP_CXX)
  target_include_directories(${name}_omp SYSTEM PRIVATE ${TWINSIM_THRUST_INCLUDE_DIR})
  if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=[^ ]*undefined")
    # Thrust binds references to null pointers on purpose to dispatch on execution-policy tags
    # (thrust/detail/reference.h, Debian's 1.17 and CCCL 3 alike). Only UBSan's `null` check
    # (and clang's `object-size`, which reports the same null binding) is off, only here; a real
    # null dereference still faults and ASan reports it.
    target_compile_options(${name}_omp PRIVATE -fno-sanitize=null,object-size)
  endif()

  add_library(${name} STATIC $<TARGET_OBJECTS:${name}_omp>)
  target_link_libraries(${name} PUBLIC ${ARG_LINK} OpenMP::OpenMP_CXX)
  if(ARG_INCLUDE)
    target_include_directories(${name}_omp PRIVATE ${ARG_INCLUDE})
    target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${ARG_INCLUDE}>
                               $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endif()

  if(TWINSIM_ENABLE_CUDA)
    add_library(${name}_cuda OBJECT ${cuda_sources})
    target_compile_definitions(${name}_cuda PRIVATE TWINSIM_BACKEND_NS=cuda TWINSIM_BACKEND_CUDA=1)
    target_compile_options(${name}_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--extended-lambda
                           --expt-relaxed-constexpr -Xcudafe=--display_error_number>)
    target_link_libraries(${name}_cuda PRIVATE ${ARG_LINK} CUDA::cudart_static)
    target_include_directories(${name}_cuda PRIVATE ${ARG_INCLUDE})
    target_sources(${name} PRIVATE $<TARGET_OBJECTS:${name}_cuda>)
    target_link_libraries(${name} PUBLIC CUDA::cudart_static)
  endif()
endfunction()

# twinsim_add_test(<name> SOURCES ... LABELS <label> [LINK ...] [TIMEOUT s])
# One GoogleTest executable registered with CTest under one label (`slow` replaces the kind of
# a long test, so the default `-LE slow` leaves it out). The GPU cases of
# backend-typed tests (suites named <Suite>/gpu...) and the CPU-versus-GPU agreement tests
# (BackendsAgree.*, *CpuAndGpuAgree*) are labelled `gpu` instead (the filter hpc/gpu/run_suite.sh
# uses), so `ctest -L gpu` runs exactly the GPU work on a machine that has one, `-LE gpu` the rest.
function(twinsim_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LINK;LABELS" ${ARGN})
  # gtest_discover_tests passes properties through a script that splits lists, hence one label.
  list(LENGTH ARG_LABELS n_labels)
  if(NOT n_labels EQUAL 1)
    message(FATAL_ERROR "twinsim_add_test(${name}): give exactly one label, got '${ARG_LABELS}'")
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LINK} twinsim_test_support GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # Test names are prefixed with the executable: one source may be built twice (e.g. at two
  # resolutions) and ctest names must stay unique.
  gtest_discover_tests(${name} TEST_PREFIX "${name}." TEST_FILTER "-*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*"
                       PROPERTIES LABELS ${ARG_LABELS}
                       TIMEOUT ${ARG_TIMEOUT} DISCOVERY_TIMEOUT 60)
  gtest_discover_tests(${name} TEST_PREFIX "${name}." TEST_FILTER "*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*"
                       PROPERTIES LABELS gpu
                       TIMEOUT ${ARG_TIMEOUT} DISCOVERY_TIMEOUT 60)
endfunction()
