package dev.ferry.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The boundaries between Ferry's modules, enforced by the build. */
class ArchitectureTest {
  private static final JavaClasses FERRY =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.ferry");

  @Test
  void shouldKeepTheModelEngineAndWorkerFreeOfSpring() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.ferry.model..",
            "dev.ferry.storage..",
            "dev.ferry.worker..",
            "dev.ferry.telemetry..",
            "dev.ferry.embedded..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.springframework..", "jakarta.servlet..")
        .check(FERRY);
  }

  @Test
  void shouldKeepWorkersAwayFromControlPlaneInternals() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.ferry.worker..", "dev.ferry.storage..", "dev.ferry.telemetry..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.ferry.control..", "dev.ferry.app..")
        .check(FERRY);
  }

  @Test
  void shouldKeepTheModelAtTheBottom() {
    noClasses()
        .that()
        .resideInAPackage("dev.ferry.model..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.ferry.storage..",
            "dev.ferry.worker..",
            "dev.ferry.control..",
            "dev.ferry.telemetry..",
            "dev.ferry.embedded..",
            "dev.ferry.app..")
        .check(FERRY);
  }

  @Test
  void shouldKeepTheControlPlaneFromCallingIntoWorkers() {
    noClasses()
        .that()
        .resideInAPackage("dev.ferry.control..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.ferry.worker..", "dev.ferry.app..", "dev.ferry.embedded..")
        .check(FERRY);
  }
}
