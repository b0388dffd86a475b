/** Who may do what: the roles an API key grants. */
package org.cityvision.core.auth;
