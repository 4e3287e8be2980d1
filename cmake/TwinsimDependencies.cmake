# Every dependency comes from Debian 12 packages or the CUDA toolkit (see tools/setup.sh).
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_library(OPENBLAS_LIBRARY NAMES openblas REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3 fftw3f)
find_library(FFTW3_THREADS_LIB fftw3_threads REQUIRED)
find_library(FFTW3F_THREADS_LIB fftw3f_threads REQUIRED)
find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
find_path(OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES x86_64-linux-gnu/openblas-pthread openblas REQUIRED)

# Thrust: the CUDA toolkit's CCCL when CUDA is on (the same headers for both backends), else
# Debian's libthrust-dev.
if(TWINSIM_ENABLE_CUDA)
  find_path(TWINSIM_THRUST_INCLUDE_DIR thrust/version.h
            PATHS ${CUDAToolkit_INCLUDE_DIRS} PATH_SUFFIXES cccl NO_DEFAULT_PATH REQUIRED)
else()
  find_path(TWINSIM_THRUST_INCLUDE_DIR thrust/version.h REQUIRED)
endif()
message(STATUS "Twinsim: Thrust from ${TWINSIM_THRUST_INCLUDE_DIR}")

# MPI (Debian's Open MPI: openmpi-bin, libopenmpi-dev): on by default where found. The same
# binary runs without a launcher as one rank (core/include/twinsim/core/Comm.hpp).
find_package(MPI COMPONENTS C QUIET)
option(TWINSIM_ENABLE_MPI "Build the MPI communicator (runs across ranks with mpirun/srun)"
       ${MPI_C_FOUND})
if(TWINSIM_ENABLE_MPI)
  find_package(MPI REQUIRED COMPONENTS C)
  find_program(TWINSIM_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
  message(STATUS "Twinsim: MPI ${MPI_C_VERSION} (${MPI_C_LIBRARIES}), launcher ${TWINSIM_MPIEXEC}")
else()
  message(STATUS "Twinsim: without MPI (one rank per run)")
endif()
