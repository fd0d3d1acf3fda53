package dev.plumb.features;

import dev.plumb.features.ingest.DataFingerprint;

/**
 * The content-addressed version of a feature set: a hash of the input's data fingerprint, the
 * canonical spec and the feature code's version. Same inputs, same version; anything changed, a new
 * one.
 *
 * @param id the version id (16 hex characters)
 */
public record FeatureSetVersion(String id) {

  /**
   * Version of the feature code: bump whenever a change to this module changes the rows a spec
   * builds, so that stored feature sets built by older code are not reused.
   */
  public static final String CODE_VERSION = "features-3";

  /** The version for these inputs. */
  public static FeatureSetVersion of(String inputFingerprintHash, FeatureSetSpec spec) {
    String hash =
        DataFingerprint.sha256(
            inputFingerprintHash + "\n" + spec.canonical() + "\n" + CODE_VERSION);
    return new FeatureSetVersion(hash.substring(0, 16));
  }

  @Override
  public String toString() {
    return id;
  }
}
