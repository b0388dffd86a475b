/** SHA-256, the product's one digest: checksums, key hashes, content ids, stable sampling. */
package org.cityvision.core.digest;
