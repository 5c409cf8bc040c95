package tablestore

// StorageError exposes the error translation to the external tests.
var StorageError = storageError
