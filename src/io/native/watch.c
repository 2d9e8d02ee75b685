// Readiness: libuv's uv_poll watches a descriptor and calls a JavaScript function when it is
// readable, on the main thread, through napi_make_callback (so async hooks see it).

#include "io_common.h"  // first: it defines _GNU_SOURCE for the system headers

#include <stdlib.h>
#include <uv.h>

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
} watcher_t;

static void on_readable(uv_poll_t* handle, int status, int events) {
  (void)status;
  (void)events;
  watcher_t* watcher = handle->data;
  napi_env env = watcher->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver, result;
  napi_get_reference_value(env, watcher->callback, &callback);
  // napi_make_callback needs an object as `this` (undefined makes it fail without calling).
  napi_get_global(env, &receiver);
  if (napi_make_callback(env, watcher->context, receiver, callback, 0, NULL, &result) != napi_ok) {
    // The callback threw: Node reports it as an uncaught exception. Stop polling rather than
    // spin on a descriptor nobody reads.
    uv_poll_stop(&watcher->poll);
  }
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t* handle) {
  free(handle->data);
}

static void finalize_watcher(napi_env env, void* data, void* hint) {
  (void)env;
  (void)data;
  (void)hint;
}

// watch(fd, callback) → handle: calls callback (no arguments) whenever fd is readable, until
// unwatch(handle). The callback must read until empty (edge cases are level-triggered anyway).
napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fd)) {
    napi_throw_error(env, "EINVAL", "watch(fd, callback)");
    return NULL;
  }
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  watcher_t* watcher = calloc(1, sizeof *watcher);
  watcher->env = env;
  watcher->poll.data = watcher;
  napi_value name;
  napi_create_string_utf8(env, "meshgate:io", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &watcher->context);
  napi_create_reference(env, argv[1], 1, &watcher->callback);
  int error = uv_poll_init(loop, &watcher->poll, fd);
  if (error == 0) error = uv_poll_start(&watcher->poll, UV_READABLE, on_readable);
  if (error != 0) {
    napi_delete_reference(env, watcher->callback);
    napi_async_destroy(env, watcher->context);
    free(watcher);
    return throw_errno(env, -error, "cannot watch the descriptor", NULL);
  }
  napi_value handle;
  napi_create_external(env, watcher, finalize_watcher, NULL, &handle);
  return handle;
}

// unwatch(handle): stops the callbacks; the handle must not be used again.
napi_value unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_error(env, "EINVAL", "unwatch(handle)");
    return NULL;
  }
  watcher_t* watcher = data;
  if (watcher->callback == NULL) return NULL;
  uv_poll_stop(&watcher->poll);
  napi_delete_reference(env, watcher->callback);
  watcher->callback = NULL;
  napi_async_destroy(env, watcher->context);
  uv_close((uv_handle_t*)&watcher->poll, on_closed);
  return NULL;
}

