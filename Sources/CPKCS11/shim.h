// The PKCS#11 (Cryptoki) types and constants, from p11-kit's header (libp11-kit-dev), in its
// compatibility spelling (CK_ATTRIBUTE.pValue, CK_GCM_PARAMS.pIv, ...). Nothing is linked:
// Coffer loads the module the administrator names with dlopen and calls it through
// C_GetFunctionList.
#include <p11-kit/pkcs11.h>
