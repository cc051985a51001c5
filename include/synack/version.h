/* synack/version.h: the version of the headers. The one place the number lives: CMakeLists.txt
 * reads it from here for the soname (libsynack.so.MAJOR), synack.pc, the CMake package and
 * `synack --version`. synack_version() (stack.h) is the version of the library actually loaded:
 * compare the two to catch a header/library mismatch. */
#ifndef SYNACK_VERSION_H
#define SYNACK_VERSION_H

#define SYNACK_VERSION_MAJOR 0
#define SYNACK_VERSION_MINOR 1
#define SYNACK_VERSION_PATCH 0
#define SYNACK_VERSION "0.1.0"
/* One number that orders versions: 0xMMmmpp. */
#define SYNACK_VERSION_NUMBER \
    ((SYNACK_VERSION_MAJOR << 16) | (SYNACK_VERSION_MINOR << 8) | SYNACK_VERSION_PATCH)

#endif
