// Open MPI's C API for the Cluster target (compiled only when Package.swift finds mpi.h).
// MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM … are macros over globals that Swift cannot import;
// these accessors expose them.
#include <mpi.h>
static inline MPI_Comm rcp_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype rcp_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype rcp_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype rcp_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype rcp_mpi_char(void) { return MPI_CHAR; }
static inline MPI_Op rcp_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op rcp_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op rcp_mpi_min(void) { return MPI_MIN; }
static inline void *rcp_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int rcp_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
