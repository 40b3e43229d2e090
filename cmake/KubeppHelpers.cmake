# Helpers shared by every module's CMakeLists.txt.

# Warnings used for all of kubepp's own code.
add_library(kubepp_warnings INTERFACE)
target_compile_options(kubepp_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  # Designated initializers leave the rest default on purpose ({.prefix = p}).
  -Wno-missing-field-initializers
  # GCC 12 false positive on Asio's awaitable frames (their operator new/delete are a pair).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>
  $<$<BOOL:${KUBEPP_WERROR}>:-Werror>)

# kubepp_library(NAME SOURCES ... [PUBLIC libs...] [PRIVATE libs...])
# Defines the kubepp_<NAME> static library rooted at src/ (so includes read "base/status.h").
function(kubepp_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(kubepp_${name} STATIC ${ARG_SOURCES})
  target_include_directories(kubepp_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(kubepp_${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE} kubepp_warnings)
endfunction()

# kubepp_test(NAME SOURCES ... LIBS ... [LABELS unit|integration|e2e] [TIMEOUT s])
# One gtest binary per module, registered with ctest under its labels.
function(kubepp_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main kubepp_warnings)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# kubepp_proto(TARGET NAME PROTOS ... [GRPC])
# Builds generated protobuf (and with GRPC, gRPC service) code from our own .proto files.
function(kubepp_proto target)
  cmake_parse_arguments(ARG "GRPC" "" "PROTOS" ${ARGN})
  set(srcs)
  set(out ${CMAKE_CURRENT_BINARY_DIR})
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    get_filename_component(base ${proto} NAME_WE)
    set(gen ${out}/${base}.pb.cc ${out}/${base}.pb.h)
    set(args --cpp_out=${out})
    if(ARG_GRPC)
      list(APPEND gen ${out}/${base}.grpc.pb.cc ${out}/${base}.grpc.pb.h)
      list(APPEND args --grpc_out=${out} --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(
      OUTPUT ${gen}
      COMMAND protobuf::protoc ARGS ${args} -I ${CMAKE_CURRENT_SOURCE_DIR} ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${proto}")
    list(APPEND srcs ${gen})
  endforeach()
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} SYSTEM PUBLIC ${out})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  if(ARG_GRPC)
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
endfunction()
