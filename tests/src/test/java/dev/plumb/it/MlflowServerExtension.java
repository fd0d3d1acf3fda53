package dev.plumb.it;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/** Injects the shared {@link MlflowServer}; it is stopped when the test run ends. */
public final class MlflowServerExtension implements ParameterResolver {

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == MlflowServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    try {
      return MlflowServer.get(context);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start the MLflow server: " + e.getMessage(), e);
    }
  }
}
