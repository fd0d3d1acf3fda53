/** Sources, data contracts, validation, fingerprints, feature-set specs and versions. */
package dev.plumb.features;
