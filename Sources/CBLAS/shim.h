#include <cblas.h>
#include <lapacke.h>
// OpenBLAS threading control (declared in openblas_config/cblas.h of OpenBLAS builds).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
