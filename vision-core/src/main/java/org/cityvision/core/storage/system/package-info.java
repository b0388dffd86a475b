/** API keys, batch job states, idempotency claims, task leases and camera health in the bucket. */
package org.cityvision.core.storage.system;
