/** Strict reading of the JSON documents images and registries send (manifests, configurations, tokens, errors). */
package io.isolate.container.json;
