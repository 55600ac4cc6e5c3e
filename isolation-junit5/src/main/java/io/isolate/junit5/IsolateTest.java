package io.isolate.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class whose {@link Fixture}-annotated {@link IsolateFixture} fields are started before the tests
 * and stopped after them: static fields once for the class, instance fields afresh for every test.
 *
 * <pre>{@code
 * @IsolateTest
 * class ServerTest {
 *   @Fixture
 *   static IsolateFixture server = IsolateFixture.of(Isolate.builder()
 *           .level(IsolationLevel.OS).network(Network.HOST)
 *           .workload(Workload.command("/usr/bin/python3", "-m", "http.server", "8099")))
 *       .waitingFor(Wait.forPort(8099));
 *
 *   @Test
 *   void answers() { ... http://127.0.0.1:8099/ ... }
 * }
 * }</pre>
 *
 * <p>Named so that it cannot be taken for JUnit's own {@code org.junit.jupiter.api.parallel.Isolated} (which runs a
 * class alone, and starts no fixture): a fixture used in a class without this annotation says so when it is asked
 * for its isolate.
 *
 * <p>A fixture whose level this host cannot provide skips the tests with the reason {@code Isolates.doctor()}
 * gives, except when the environment variable {@code CI} is {@code true}: then it fails them.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(IsolateExtension.class)
public @interface IsolateTest {}
