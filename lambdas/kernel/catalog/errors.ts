import { TotesError } from '../errors';

/** A Glue catalog operation failed: the table is missing or the call was refused. */
export class CatalogError extends TotesError {}

/** Another writer updated the catalog table between our read and our update. */
export class CatalogConflictError extends CatalogError {}
