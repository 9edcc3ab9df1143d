#!/bin/sh
echo ÿþ
