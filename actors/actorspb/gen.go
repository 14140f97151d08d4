// Package actorspb holds the protobuf messages grain hosts exchange over
// protoactor remote. The .pb.go file is generated; edit grain.proto.
package actorspb

//go:generate protoc -I ../.. --go_out=../.. --go_opt=paths=source_relative actors/actorspb/grain.proto
