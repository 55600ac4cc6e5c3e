/** JUnit 5 fixtures for isolates. */
module io.isolate.junit5 {
  requires transitive io.isolate;
  requires transitive org.junit.jupiter.api;
  requires java.net.http;

  exports io.isolate.junit5;
}
