module bucketlab/reference

go 1.19
