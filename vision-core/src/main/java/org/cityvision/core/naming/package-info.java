/** The name rules of identifiers, shared by the domain types and the storage keys. */
package org.cityvision.core.naming;
