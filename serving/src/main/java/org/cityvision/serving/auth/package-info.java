/** Bearer API keys with roles, stored hashed in the shared store; per-key rate limits. */
package org.cityvision.serving.auth;
