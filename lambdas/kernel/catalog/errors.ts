import { TotesError } from '../errors';

/** A Glue catalog operation failed: the table is missing or the call was refused. */
export class CatalogError extends TotesError {}

/** Another writer updated the catalog table between our read and our update. */
export class CatalogConflictError extends CatalogError {}

/**
 * The warehouse's `<fact>_current` view could not be given the columns the schema module
 * derives: its fact table lacks one, or PostgreSQL refused the new definition.
 */
export class CurrentViewUpdateError extends TotesError {}
