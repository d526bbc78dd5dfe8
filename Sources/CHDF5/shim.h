#include <hdf5.h>
// Macros such as H5T_NATIVE_FLOAT expand to function calls plus globals that Swift cannot import;
// these inline accessors expose them.
static inline hid_t rcp_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t rcp_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t rcp_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t rcp_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t rcp_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t rcp_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t rcp_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t rcp_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t rcp_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t rcp_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t rcp_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t rcp_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t rcp_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t rcp_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t rcp_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t rcp_h5s_all(void) { return H5S_ALL; }
static inline hsize_t rcp_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t rcp_h5t_variable(void) { return H5T_VARIABLE; }
static inline void rcp_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static inline int rcp_h5_init(void) { return H5open(); }
static inline unsigned rcp_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned rcp_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned rcp_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hid_t rcp_h5t_std_ref_obj(void) { return H5T_STD_REF_OBJ; }
