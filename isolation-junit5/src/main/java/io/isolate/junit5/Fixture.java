package io.isolate.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a field of type {@link IsolateFixture} in an {@link IsolateTest} class: a fixture the extension starts and
 * stops. On a test method parameter of type {@link IsolateFixture} or {@link io.isolate.Isolate}: injects the
 * fixture whose field has the given name (the name may be left out when the class has only one fixture).
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Fixture {
  /** For parameters: the name of the fixture field to inject; empty for the only one. */
  String value() default "";
}
