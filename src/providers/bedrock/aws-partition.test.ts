import { expect, test } from "bun:test";
import { awsPartition } from "./aws-partition.ts";

// The table against the AWS SDKs' partitions.json (aws-sdk-js-v3, packages/util-endpoints/src/lib/
// aws/partitions.json): each partition's region pattern and DNS suffix, and `aws` for a region none
// matches.

test("each region falls in its partition, with that partition's DNS suffix", () => {
  const of = (region: string) => {
    const { name, dnsSuffix } = awsPartition(region);
    return `${region} ${name} ${dnsSuffix}`;
  };
  expect(
    [
      "us-east-1",
      "eu-central-2",
      "ap-southeast-5",
      "il-central-1",
      "mx-central-1",
      "cn-northwest-1",
      "us-gov-west-1",
      "us-iso-east-1",
      "us-isob-east-1",
      "eu-isoe-west-1",
      "us-isof-south-1",
      "eusc-de-east-1",
    ].map(of),
  ).toEqual([
    "us-east-1 aws amazonaws.com",
    "eu-central-2 aws amazonaws.com",
    "ap-southeast-5 aws amazonaws.com",
    "il-central-1 aws amazonaws.com",
    "mx-central-1 aws amazonaws.com",
    "cn-northwest-1 aws-cn amazonaws.com.cn",
    "us-gov-west-1 aws-us-gov amazonaws.com",
    "us-iso-east-1 aws-iso c2s.ic.gov",
    "us-isob-east-1 aws-iso-b sc2s.sgov.gov",
    "eu-isoe-west-1 aws-iso-e cloud.adc-e.uk",
    "us-isof-south-1 aws-iso-f csp.hci.ic.gov",
    "eusc-de-east-1 aws-eusc amazonaws.eu",
  ]);
});

test("a region no pattern matches is taken for the standard partition, as in the SDKs", () => {
  expect(awsPartition("moon-base-1")).toEqual({ name: "aws", dnsSuffix: "amazonaws.com" });
  expect(awsPartition("")).toEqual({ name: "aws", dnsSuffix: "amazonaws.com" });
});
