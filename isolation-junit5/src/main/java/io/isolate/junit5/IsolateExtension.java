package io.isolate.junit5;

import io.isolate.Availability;
import io.isolate.Isolate;
import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import io.isolate.LevelUnavailableException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.opentest4j.TestAbortedException;

/**
 * Starts and stops the {@link Fixture} fields of an {@link IsolateTest} test class and injects them into test
 * methods. Static fixtures live in the class's store, instance fixtures in the test's, so parallel tests never
 * share a per-test fixture. Fixtures are stopped in reverse order of start, even when a test or a later fixture
 * fails.
 */
public final class IsolateExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(IsolateExtension.class);
  private static final String STARTED = "started";

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    startAll(context, fixtures(context.getRequiredTestClass(), null));
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    Map<String, IsolateFixture> instance = new LinkedHashMap<>();
    for (Object testInstance : context.getRequiredTestInstances().getAllInstances()) {
      instance.putAll(fixtures(testInstance.getClass(), testInstance));
    }
    startAll(context, instance);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    stopAll(context);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stopAll(context);
  }

  private static void startAll(ExtensionContext context, Map<String, IsolateFixture> fixtures) {
    Map<String, IsolateFixture> started = startedIn(context);
    for (Map.Entry<String, IsolateFixture> e : fixtures.entrySet()) {
      IsolateFixture fixture = e.getValue();
      requireLevel(fixture);
      try {
        fixture.start();
      } catch (RuntimeException failure) {
        stopAll(context);
        throw failure;
      }
      started.put(e.getKey(), fixture);
    }
  }

  private static void stopAll(ExtensionContext context) {
    Map<String, IsolateFixture> started = startedIn(context);
    List<IsolateFixture> reverse = new ArrayList<>(started.values());
    java.util.Collections.reverse(reverse);
    reverse.forEach(IsolateFixture::stop);
    started.clear();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, IsolateFixture> startedIn(ExtensionContext context) {
    // Keyed by the context's id: a child store sees its parents' values, and a test must not stop its class's.
    return context.getStore(NAMESPACE).getOrComputeIfAbsent(STARTED + context.getUniqueId(),
        k -> new LinkedHashMap<String, IsolateFixture>(), Map.class);
  }

  /** Skips when the level is missing here, or fails when running on CI, with the doctor's reason. */
  static void requireLevel(IsolateFixture fixture) {
    IsolationLevel level = fixture.level();
    Availability availability = Isolates.availability(level);
    if (availability.isAvailable()) {
      return;
    }
    String reason = fixture + " needs level " + level + ": " + availability.explanation();
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new LevelUnavailableException(level, availability.explanation() + " (CI=true: failing instead of skipping "
          + fixture + ")");
    }
    throw new TestAbortedException(reason);
  }

  private static Map<String, IsolateFixture> fixtures(Class<?> type, Object instance) throws IllegalAccessException {
    Map<String, IsolateFixture> found = new LinkedHashMap<>();
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (!f.isAnnotationPresent(Fixture.class) || Modifier.isStatic(f.getModifiers()) != (instance == null)) {
          continue;
        }
        if (!IsolateFixture.class.isAssignableFrom(f.getType())) {
          throw new ExtensionConfigurationException("@Fixture field " + c.getSimpleName() + "." + f.getName()
              + " must be of type IsolateFixture, not " + f.getType().getSimpleName());
        }
        f.setAccessible(true);
        IsolateFixture fixture = (IsolateFixture) f.get(instance);
        if (fixture == null) {
          throw new ExtensionConfigurationException("@Fixture field " + c.getSimpleName() + "." + f.getName()
              + " is null");
        }
        found.put(f.getName(), fixture.named(f.getName()));
      }
    }
    return found;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return parameter.isAnnotated(Fixture.class) && (type == IsolateFixture.class || type == Isolate.class);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    String wanted = parameter.findAnnotation(Fixture.class).map(Fixture::value).orElse("");
    Map<String, IsolateFixture> visible = new LinkedHashMap<>();
    for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
      startedIn(c).forEach(visible::putIfAbsent);
    }
    IsolateFixture fixture;
    if (wanted.isEmpty()) {
      if (visible.size() != 1) {
        throw new ParameterResolutionException("@Fixture parameter " + parameter.getParameter().getName()
            + " needs a name: the test has " + visible.size() + " fixtures " + visible.keySet());
      }
      fixture = visible.values().iterator().next();
    } else {
      fixture = visible.get(wanted);
      if (fixture == null) {
        throw new ParameterResolutionException("no started fixture named '" + wanted + "'; started: "
            + visible.keySet());
      }
    }
    return parameter.getParameter().getType() == Isolate.class ? fixture.isolate() : fixture;
  }
}
