// FFTW3, single precision (Debian libfftw3-dev): the r2c/c2r transforms of the FFT convolution path.
#include <fftw3.h>
