package org.certkit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Rules on how certkit's code, all modules, calls the engine. */
class EngineUsageRulesTest {

  /** The scalar overloads whose backward reads a scalar DJL lets the collector free. */
  private static final Set<String> UNSAFE_SCALAR_OPERATIONS = Set.of("mul", "muli", "div", "divi",
      "maximum", "minimum", "pow", "powi", "mod", "modi");

  /** The main code of every module: neither test classes nor a module's test jar. */
  private static final JavaClasses CERTKIT = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .withImportOption(location -> !location.contains("-tests.jar"))
      .importPackages("org.certkit");

  /**
   * Constant operands come from {@code org.certkit.internal.Constants}, never from
   * {@code NDArray.mul(Number)} and kin, so no backward pass reads freed memory.
   */
  @Test
  void constantOperandsAreEngineOwned() {
    DescribedPredicate<JavaMethodCall> scalarOverload = DescribedPredicate.describe(
        "a scalar overload of " + UNSAFE_SCALAR_OPERATIONS + " on NDArray or NDArrays",
        call -> UNSAFE_SCALAR_OPERATIONS.contains(call.getName())
            && (call.getTargetOwner().isAssignableTo(ai.djl.ndarray.NDArray.class)
                || call.getTargetOwner().isEquivalentTo(ai.djl.ndarray.NDArrays.class))
            && call.getTarget().getRawParameterTypes().stream()
                .anyMatch(type -> type.isAssignableTo(Number.class)));
    noClasses().should().callMethodWhere(scalarOverload)
        .because("the scalar lives in a Java buffer that DJL releases before autograd reads it;"
            + " use org.certkit.internal.Constants")
        .check(CERTKIT);
  }

  /**
   * Gradient collectors come from {@code org.certkit.internal.Gradients}, which lets one thread
   * collect at a time: DJL allows one collector per JVM, and concurrent tasks (Spark's
   * {@code local[N]}) would otherwise fail.
   */
  @Test
  void gradientCollectorsComeFromGradients() {
    noClasses().that().doNotHaveFullyQualifiedName("org.certkit.internal.Gradients$Locked")
        .and().doNotHaveFullyQualifiedName("org.certkit.internal.Gradients")
        .should().callMethod(ai.djl.engine.Engine.class, "newGradientCollector")
        .because("org.certkit.internal.Gradients serialises collectors across threads")
        .check(CERTKIT);
  }
}
