package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.RunAs;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import io.isolate.junit5.Fixture;
import io.isolate.junit5.IsolateFixture;
import io.isolate.junit5.IsolateTest;
import io.isolate.junit5.Wait;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A real PostgreSQL server as a fixture: Debian's server binaries from the host's read-only root, run as the
 * host's {@code postgres} user (PostgreSQL refuses root), its data directory in a tmpfs that goes with the isolate,
 * on a free host port, ready when it listens; the test talks to it with the JDBC driver, as an application would.
 */
@IsolateTest
class PostgresFixtureExampleTest {
  static final Path BIN = HostServers.postgresBin();
  static final RunAs POSTGRES = HostServers.user("postgres");

  /** The fixture: initdb into the tmpfs, then the server on 127.0.0.1:5432 inside its network namespace. */
  static Isolate.Builder postgres() {
    return Isolate.builder()
        .level(IsolationLevel.OS)
        .network(Network.LOOPBACK)
        .publishPort(5432)
        .user(POSTGRES.uid(), POSTGRES.gid())
        .mount(Mount.tmpfs("/var/lib/postgresql", 256L << 20))
        .limits(Limits.builder().memory(512, SizeUnit.MEGABYTES).pids(64).wallTime(Duration.ofMinutes(5)).build())
        .workload(Workload.command("/bin/sh", "-c",
            BIN + "/initdb -D /var/lib/postgresql/data -U postgres --auth=trust --no-locale -E UTF8 >/dev/null"
                + " && exec " + BIN + "/postgres -D /var/lib/postgresql/data -k /tmp -h 127.0.0.1 -p 5432"
                + " -c fsync=off -c full_page_writes=off"));
  }

  @Fixture
  static IsolateFixture database = IsolateFixture.of(postgres())
      .waitingFor(Wait.allOf(Wait.forLogLine("database system is ready to accept connections"),
          Wait.forListeningPort()).withTimeout(Duration.ofSeconds(60)));

  @Test
  void answersSqlOverJdbc() throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + database.mappedPort(5432) + "/postgres";
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("create table fixture (id int primary key, name text)");
      s.execute("insert into fixture values (1, 'isolated'), (2, 'postgres')");
      try (ResultSet r = s.executeQuery("select string_agg(name, ' ' order by id), current_user from fixture")) {
        r.next();
        assertEquals("isolated postgres", r.getString(1));
        assertEquals("postgres", r.getString(2));
      }
    }
  }
}
