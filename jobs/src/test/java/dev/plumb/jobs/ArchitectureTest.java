package dev.plumb.jobs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The rules of the house that the compiler does not check, over the main classes of every module
 * (jobs sees them all): no class-level dependency cycles, no stage module depending on jobs, and
 * {@code java.nio.file} only inside the storage port.
 */
class ArchitectureTest {

  private static final JavaClasses MAIN =
      new ClassFileImporter()
          // main classes only: this module's target/classes and the other modules' main jars
          .withImportOption(
              location -> !location.contains("/test-classes/") && !location.contains("-tests.jar"))
          .importPackages("dev.plumb");

  /** A top-level class's name: nested, inner and anonymous classes count as their outer class. */
  private static String topLevel(JavaClass c) {
    String name = c.getName();
    int dollar = name.indexOf('$');
    return dollar < 0 ? name : name.substring(0, dollar);
  }

  @Test
  void mainClassesOfEveryModuleAreImported() {
    Set<String> packages = new TreeSet<>();
    MAIN.forEach(c -> packages.add(c.getPackageName()));
    assertThat(packages)
        .contains(
            "dev.plumb.features.io",
            "dev.plumb.features.ingest",
            "dev.plumb.features.store",
            "dev.plumb.training",
            "dev.plumb.evaluation",
            "dev.plumb.jobs",
            "dev.plumb.jobs.tracking");
  }

  @Test
  void noClassLevelCycles() {
    Map<String, Set<String>> graph = new TreeMap<>();
    for (JavaClass c : MAIN) {
      String from = topLevel(c);
      Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        JavaClass target = d.getTargetClass();
        if (target.getPackageName().startsWith("dev.plumb")) {
          String t = topLevel(target);
          if (!t.equals(from)) {
            to.add(t);
          }
        }
      }
    }
    assertThat(stronglyConnected(graph)).as("class-level dependency cycles").isEmpty();
  }

  @Test
  void stageModulesDoNotDependOnJobs() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.plumb.features..", "dev.plumb.training..", "dev.plumb.evaluation..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.plumb.jobs..")
        .check(MAIN);
  }

  @Test
  void trainingAndEvaluationDoNotDependOnEachOther() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.plumb.training..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.plumb.evaluation..")
        .check(MAIN);
    noClasses()
        .that()
        .resideInAnyPackage("dev.plumb.evaluation..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.plumb.training..")
        .check(MAIN);
  }

  @Test
  void localFilesOnlyThroughTheStoragePort() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.plumb.features.io")
        // The MLflow CLI fallback upload needs a local temp file (the CLI reads local paths).
        .and()
        .doNotHaveFullyQualifiedName("dev.plumb.jobs.tracking.MlflowTracker")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("java.nio.file..")
        .check(MAIN);
  }

  /** The strongly connected components with more than one class (Tarjan's algorithm). */
  static List<List<String>> stronglyConnected(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new java.util.HashSet<>();
    List<List<String>> out = new ArrayList<>();
    int[] counter = {0};
    for (String v : graph.keySet()) {
      if (!index.containsKey(v)) {
        strongConnect(v, graph, index, low, stack, onStack, out, counter);
      }
    }
    return out;
  }

  private static void strongConnect(
      String v,
      Map<String, Set<String>> graph,
      Map<String, Integer> index,
      Map<String, Integer> low,
      Deque<String> stack,
      Set<String> onStack,
      List<List<String>> out,
      int[] counter) {
    index.put(v, counter[0]);
    low.put(v, counter[0]);
    counter[0]++;
    stack.push(v);
    onStack.add(v);
    for (String w : graph.getOrDefault(v, Set.of())) {
      if (!index.containsKey(w)) {
        strongConnect(w, graph, index, low, stack, onStack, out, counter);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      List<String> component = new ArrayList<>();
      String w;
      do {
        w = stack.pop();
        onStack.remove(w);
        component.add(w);
      } while (!w.equals(v));
      if (component.size() > 1) {
        out.add(component);
      }
    }
  }

  @Test
  void theCycleFinderFindsACycle() {
    Map<String, Set<String>> g = new TreeMap<>();
    g.put("a", Set.of("b"));
    g.put("b", Set.of("c"));
    g.put("c", Set.of("a"));
    g.put("d", Set.of("a"));
    assertThat(stronglyConnected(g)).hasSize(1);
    assertThat(stronglyConnected(g).get(0)).containsExactlyInAnyOrder("a", "b", "c");
  }
}
