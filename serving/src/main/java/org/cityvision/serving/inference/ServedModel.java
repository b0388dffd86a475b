package org.cityvision.serving.inference;

import org.cityvision.core.classify.Classifier;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;

/** A loaded model serving one task: its package, its classifier and its admission gate. */
public final class ServedModel {
  private final String task;
  private final ModelPackage pkg;
  private final Classifier classifier;
  private final AdmissionGate gate;

  ServedModel(String task, ModelPackage pkg, Classifier classifier, int admitted) {
    this.task = task;
    this.pkg = pkg;
    this.classifier = classifier;
    this.gate = new AdmissionGate(admitted);
  }

  public String task() {
    return task;
  }

  public ModelSpec spec() {
    return pkg.spec();
  }

  public ModelPackage pkg() {
    return pkg;
  }

  public Classifier classifier() {
    return classifier;
  }

  AdmissionGate gate() {
    return gate;
  }

  public int inFlight() {
    return gate.inFlight();
  }
}
