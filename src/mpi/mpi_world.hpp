// The MPI world of redes/distributed.hpp (Debian's Open MPI), for the command-line tool and the
// MPI tests; the library needs no MPI.
#pragma once

namespace redes {

// Installs an MPI world when this process was started by mpirun (or another launcher that sets
// Open MPI's or PMIx's variables), and finalizes MPI at exit. Returns whether it did; without a
// launcher the program runs as one process, exactly as without MPI.
bool start_mpi_world(int* argc, char*** argv);

}  // namespace redes
