/**
 * A bounded, fsynced write-ahead spool on local disk for objects the store could not deliver yet.
 */
package org.cityvision.core.storage.spool;
