/** Lifecycle events of isolates on a Vert.x event bus. */
module io.isolate.vertx {
  requires transitive io.isolate;
  requires transitive io.vertx.core;

  exports io.isolate.vertx;
}
