/**
 * OCI image layouts and {@code docker save} tarballs as root file systems:
 * {@link io.isolate.container.image.ImageStore} unpacks each layer once into a content-addressed cache, rejecting
 * hostile entries, and hands the layer directories to the overlay the helper mounts.
 */
package io.isolate.container.image;
