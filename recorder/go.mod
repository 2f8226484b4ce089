module bucketlab/recorder

go 1.19
