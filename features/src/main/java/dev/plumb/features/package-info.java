/**
 * Sources, data contracts, validation, fingerprints; feature-set specs (YAML), feature definitions
 * and their fitted transforms, splits, versions.
 */
package dev.plumb.features;
