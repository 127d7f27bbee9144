# Every dependency is a Debian 12 package; nothing is vendored.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(GTest REQUIRED)
find_package(LibtorrentRasterbar CONFIG REQUIRED)
find_package(OpenSSL 3 REQUIRED COMPONENTS SSL Crypto)  # the tracker's HTTPS, SIP digest MD5
pkg_check_modules(SOFIA REQUIRED IMPORTED_TARGET sofia-sip-ua)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
