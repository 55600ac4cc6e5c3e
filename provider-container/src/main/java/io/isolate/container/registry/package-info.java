/**
 * Pulling images from registries with the OCI distribution protocol: {@code RegistryClient} speaks HTTP to one
 * registry (its mirrors first, anonymous, Basic or bearer-token authentication as Docker Hub and GHCR do it),
 * {@code AuthChallenge} parses what a registry asks for, {@code Credentials} reads Docker's credentials file, and
 * {@code ImagePuller} resolves a reference to a manifest for this platform and downloads blobs, each verified against
 * its digest while it streams and resumed where an earlier pull stopped.
 */
package io.isolate.container.registry;
