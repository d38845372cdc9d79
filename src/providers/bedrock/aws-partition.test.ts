import { expect, test } from "bun:test";
import { awsPartition } from "./aws-partition.ts";

// The table against the AWS SDKs' partitions.json (aws-sdk-js-v3, packages/util-endpoints/src/lib/
// aws/partitions.json): each partition's region pattern and DNS suffixes (IPv4 and dual-stack), and `aws` for a region none
// matches.

test("each region falls in its partition, with that partition's DNS suffix", () => {
  const of = (region: string) => {
    const { name, dnsSuffix, dualStackDnsSuffix } = awsPartition(region);
    return `${region} ${name} ${dnsSuffix} ${dualStackDnsSuffix}`;
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
    "us-east-1 aws amazonaws.com api.aws",
    "eu-central-2 aws amazonaws.com api.aws",
    "ap-southeast-5 aws amazonaws.com api.aws",
    "il-central-1 aws amazonaws.com api.aws",
    "mx-central-1 aws amazonaws.com api.aws",
    "cn-northwest-1 aws-cn amazonaws.com.cn api.amazonwebservices.com.cn",
    "us-gov-west-1 aws-us-gov amazonaws.com api.aws",
    "us-iso-east-1 aws-iso c2s.ic.gov api.aws.ic.gov",
    "us-isob-east-1 aws-iso-b sc2s.sgov.gov api.aws.scloud",
    "eu-isoe-west-1 aws-iso-e cloud.adc-e.uk api.cloud-aws.adc-e.uk",
    "us-isof-south-1 aws-iso-f csp.hci.ic.gov api.aws.hci.ic.gov",
    "eusc-de-east-1 aws-eusc amazonaws.eu api.amazonwebservices.eu",
  ]);
});

test("a region no pattern matches is taken for the standard partition, as in the SDKs", () => {
  expect(awsPartition("moon-base-1")).toEqual({
    name: "aws",
    dnsSuffix: "amazonaws.com",
    dualStackDnsSuffix: "api.aws",
  });
  expect(awsPartition("")).toEqual({
    name: "aws",
    dnsSuffix: "amazonaws.com",
    dualStackDnsSuffix: "api.aws",
  });
});
