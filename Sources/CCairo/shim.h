// cairo: 2-D drawing on image (PNG), PDF and SVG surfaces. Imported only by the Report target.
#include <cairo/cairo.h>
#include <cairo/cairo-pdf.h>
#include <cairo/cairo-svg.h>
